"""The only part that knows the SQL dialect: engine and sessions, the schema, bulk writes and every statement
written for one database's planner or bulk path."""
