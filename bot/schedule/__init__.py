"""School calendars: when a school is open and when its SENCO can be reached (Europe/London)."""
