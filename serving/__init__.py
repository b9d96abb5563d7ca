"""Score store, batch scoring, the FastAPI app, auth and the case workers' page."""
