//! FPU: floating-point state survives context switches.
