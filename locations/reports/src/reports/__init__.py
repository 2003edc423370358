"""Reports discovered from the Django API, run by Fireant, stored in Fabric."""
