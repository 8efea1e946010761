"""The cases of tests/test_write_paths.py, one module per owner (the kernel and PAYT, Mapp,
AvidTrak, Trackier), on the shared harness of harness.py."""
