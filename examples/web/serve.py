#!/usr/bin/env python3
"""Serves the site/ folder beside this file with python3's http.server, as
`python3 -m http.server PORT` would serve the current folder, until it is
stopped: the deployment's kill_time ends it."""
import functools
import http.server
import pathlib
import sys

port = int(sys.argv[1])
site = pathlib.Path(__file__).parent / 'site'
handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(site))
with http.server.HTTPServer(('0.0.0.0', port), handler) as server:
    print(f'serving {site.name}/ on port {port}', flush=True)
    server.serve_forever()
