"""Developer tools: lock file generation and the like."""
