-- Each account's Ed25519 key for object integrity proofs (FEP-8b32): published as a
-- Multikey in the actor's assertionMethod, the private half sealed like the RSA key.
-- Accounts made before this get theirs at the next start.
ALTER TABLE accounts ADD COLUMN proof_key_public TEXT;
ALTER TABLE accounts ADD COLUMN proof_key_enc TEXT;
