"""A Python script as a tinyx VM's application: it prints, then exits, and the VM powers off."""
import hashlib
import os
import platform
import sys

print(f"tinyx python: Python {platform.python_version()} on {platform.system()} {platform.release()}")
print(f"tinyx python: sha256(tinyx) = {hashlib.sha256(b'tinyx').hexdigest()}")
# tinyx compiles the image's modules when it builds it: their byte code is the image's (its files'
# times are 0), not written by this start of Python.
cached = [module.__cached__ for module in (hashlib, platform)]
from_image = all(os.path.exists(c) and os.stat(c).st_mtime == 0 for c in cached)
print(f"tinyx python: modules from the image's byte code: {from_image}")
print(f"tinyx python: 2**100 = {2**100}")
sys.exit(0)
