"""Grades and what is read from them: giving and correcting grades, final grades, scales, the
diary, progress, the journal, roll-ups and dashboards."""
