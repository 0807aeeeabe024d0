// Intentionally empty: this package exists only so cargo fetches sel4-sys.
