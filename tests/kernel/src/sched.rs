//! Scheduling: priorities, preemption, yield, suspend/resume, MCP limits.
