"""Data collection: the tracking pixel (GET /<trackId>/wt, POST /<trackId>/batch), the hits it
stores and the visits derived from them.

* pixel.py   reading one hit (a pixel query string) into a `Hit`: pure, no database
* agents.py  browser, operating system, device and bot from the user agent
* visits.py  sessionisation: a visitor's hits -> visits, re-derived around every new hit
* store.py   storing hits (and counting rejected ones) in one transaction
* wire.py    the pixel's HTTP endpoints
* importer.py  `polytrack mapp import FILE`
"""
