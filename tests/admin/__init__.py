"""Running a school: organisation, accounts, calendar, timetable, roster import, guardianships,
transfers between classes, and the audit trail."""
