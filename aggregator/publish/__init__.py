"""Publishing: render stories as Atom 1.0, OPML and an index page (render), write them (write).

render is pure and never imports write; write is the only half that touches the file system.
"""
