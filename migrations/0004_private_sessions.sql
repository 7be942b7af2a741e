-- Private sessions: only their owner and admins see them in the list or may open them.
ALTER TABLE sessions ADD COLUMN private INTEGER NOT NULL DEFAULT 0 CHECK (private IN (0, 1));
