"""In progress."""
def routes(services):
    return []
