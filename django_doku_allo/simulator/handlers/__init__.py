"""One module per SNAP operation; each handler takes a :class:`~..pipeline.Call` and
returns a :class:`~..pipeline.Reply` or raises :class:`~..codes.SnapError`."""
