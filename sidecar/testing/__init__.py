"""Test helpers shipped with the package: real daemons in temp homes (:mod:`.daemons`) and waiting on
conditions with a load-proof limit (:mod:`.waiting`, ``$SIDECAR_TEST_READY_S``)."""
