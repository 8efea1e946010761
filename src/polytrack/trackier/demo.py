"""In progress."""
def seed(services, conn):
    return None
def credentials(base_url):
    return {}
def curl_examples(base_url, creds):
    return []
