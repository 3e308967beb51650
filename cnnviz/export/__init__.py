"""What leaves the app: Keras and PyTorch code, .keras files, share links and the HTML report."""
