"""Asset checks on what estore produces."""
