"""One wrapper per external tool: each checks the tool is there, logs the command, raises ToolError."""
