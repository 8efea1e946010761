"""In progress."""
def admin_routes(services):
    return []
def register_cli(root, admin):
    return None
