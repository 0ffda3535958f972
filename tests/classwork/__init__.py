"""A lesson's register and what comes with it: attendance, homework, remarks, absence notices."""
