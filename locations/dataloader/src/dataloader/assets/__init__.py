"""The two assets: a table load and a retry analysis, each run through Pipes."""
