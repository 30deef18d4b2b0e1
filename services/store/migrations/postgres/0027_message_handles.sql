-- The address a person types to reach a message's sender (@name@server), looked up from
-- their actor after the message arrived; empty when it could not be read. Kept and erased
-- with the message.
ALTER TABLE citizen_messages ADD COLUMN sender_handle TEXT;
