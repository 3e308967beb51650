"""Data: the data sets, own data and archives, image decoding and preparation, samples."""
