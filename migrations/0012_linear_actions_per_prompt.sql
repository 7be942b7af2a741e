-- Linear: the `action` activities shown are bounded per prompt (MAX_ACTIONS_PER_PROMPT), not
-- per agent session: the count starts again when another prompt's steps arrive.
ALTER TABLE linear_sessions ADD COLUMN actions_prompt TEXT;
