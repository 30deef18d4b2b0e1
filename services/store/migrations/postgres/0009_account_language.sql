-- Each official account writes in a language of its own by default: an announcement given no
-- language (from the command line, say) takes the account's, so that every Note names one.
-- Accounts made before this column existed are German, the language of Herold's first bodies.
ALTER TABLE accounts ADD COLUMN language TEXT NOT NULL DEFAULT 'de';
