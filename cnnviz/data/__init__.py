"""Data: the data sets, a student's own data and archives, image decoding and preparation, samples."""
