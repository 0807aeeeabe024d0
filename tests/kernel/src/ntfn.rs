//! Notifications: signal, wait, poll, badge OR-ing, binding to TCBs.
