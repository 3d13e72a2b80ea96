# Read by gunicorn from the directory it starts in: access logs never record tokens or
# e-mail addresses carried in URLs (dsar.access_log).
logger_class = "dsar.access_log.GunicornLogger"
