//! CUDA binary inspection (stub; filled by the inspect/predict issue).
