"""A Python script as a tinyx VM's application: it prints, then exits, and the VM powers off."""
import hashlib
import platform
import sys

print(f"tinyx python: Python {platform.python_version()} on {platform.system()} {platform.release()}")
print(f"tinyx python: sha256(tinyx) = {hashlib.sha256(b'tinyx').hexdigest()}")
print(f"tinyx python: 2**100 = {2**100}")
sys.exit(0)
