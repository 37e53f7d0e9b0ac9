//! The AgentCore Runtime HTTP contract (being moved here).
