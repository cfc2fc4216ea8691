"""Configuration files and web pages shipped inside the server images (nginx, httpd, redis).

The pages keep the shape and titles of the real defaults, in this project's own words, so a
learner recognises "Welcome to nginx!" and "It works!" when a Service first answers.
"""

NGINX_INDEX = """<!DOCTYPE html>
<html>
<head>
<title>Welcome to nginx!</title>
<style>
html { color-scheme: light dark; }
body { width: 35em; margin: 0 auto; font-family: Tahoma, Verdana, Arial, sans-serif; }
</style>
</head>
<body>
<h1>Welcome to nginx!</h1>
<p>This page shows that the nginx web server is installed and answering requests.
Some more configuration may still be needed.</p>

<p>The nginx documentation lives at
<a href="http://nginx.org/">nginx.org</a>, and commercial support is offered at
<a href="http://nginx.com/">nginx.com</a>.</p>

<p><em>Thank you for choosing nginx.</em></p>
</body>
</html>
"""

NGINX_50X = """<!DOCTYPE html>
<html>
<head>
<title>Error</title>
</head>
<body>
<h1>An error occurred.</h1>
<p>The page you are looking for cannot be shown right now. Please try again later.</p>
</body>
</html>
"""

NGINX_CONF = """user  nginx;
worker_processes  auto;

error_log  /var/log/nginx/error.log notice;
pid        /run/nginx.pid;

events {
    worker_connections  1024;
}

http {
    include       /etc/nginx/mime.types;
    default_type  application/octet-stream;

    log_format  main  '$remote_addr - $remote_user [$time_local] "$request" '
                      '$status $body_bytes_sent "$http_referer" '
                      '"$http_user_agent" "$http_x_forwarded_for"';

    access_log  /var/log/nginx/access.log  main;

    sendfile        on;
    keepalive_timeout  65;

    include /etc/nginx/conf.d/*.conf;
}
"""

NGINX_DEFAULT_CONF = """server {
    listen       80;
    listen  [::]:80;
    server_name  localhost;

    location / {
        root   /usr/share/nginx/html;
        index  index.html index.htm;
    }

    error_page   500 502 503 504  /50x.html;
    location = /50x.html {
        root   /usr/share/nginx/html;
    }
}
"""

NGINX_MIME_TYPES = """types {
    text/html                                        html htm shtml;
    text/css                                         css;
    text/plain                                       txt;
    application/javascript                           js;
    application/json                                 json;
    image/png                                        png;
    image/svg+xml                                    svg;
}
"""

NGINX_ENTRYPOINT_SCRIPTS = (
    "10-listen-on-ipv6-by-default.sh",
    "15-local-resolvers.envsh",
    "20-envsubst-on-templates.sh",
    "30-tune-worker-processes.sh",
)

HTTPD_INDEX = "<html><body><h1>It works!</h1></body></html>\n"

HTTPD_CONF = """# The main Apache HTTP Server configuration file (abridged).
ServerRoot "/usr/local/apache2"
Listen 80

User www-data
Group www-data
ServerAdmin you@example.com

DocumentRoot "/usr/local/apache2/htdocs"
<Directory "/usr/local/apache2/htdocs">
    Options Indexes FollowSymLinks
    AllowOverride None
    Require all granted
</Directory>

DirectoryIndex index.html
ErrorLog /proc/self/fd/2
LogLevel warn
LogFormat "%h %l %u %t \\"%r\\" %>s %b" common
CustomLog /proc/self/fd/1 common
"""

HTTPD_FOREGROUND = """#!/bin/sh
set -e

# A pid file left by an earlier run would stop httpd from starting.
rm -f /usr/local/apache2/logs/httpd.pid

exec httpd -DFOREGROUND "$@"
"""

REDIS_ENTRYPOINT = """#!/bin/sh
set -e

# Options (or a config file) as the first argument are meant for redis-server.
if [ "${1#-}" != "$1" ] || [ "${1%.conf}" != "$1" ]; then
    set -- redis-server "$@"
fi

exec "$@"
"""
