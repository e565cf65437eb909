// The version Tollgate reports (health, --version); kept apart so clients need not load the daemon.
export const VERSION = '0.1.0';
