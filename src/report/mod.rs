//! Regression reports (stub; filled by the reports issue).
