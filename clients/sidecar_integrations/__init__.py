"""Agent integrations: Claude Code / Codex hooks, the MCP server, LangChain tools."""
