"""Test helpers shipped with the package: real daemons in temp homes, and fakes of the real interfaces."""
