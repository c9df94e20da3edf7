"""What DOKU sends us: the views it calls (:mod:`.views`), how we know it is DOKU
(:mod:`.auth`) and how its bytes are read and kept (:mod:`.parsing`)."""
