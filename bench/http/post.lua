-- bench/http/mixed.sh: each request posts one routine hotline message (the token comes with -H).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"to":"all","precedence":"routine","subject":"bench","body":"mixed load"}'
