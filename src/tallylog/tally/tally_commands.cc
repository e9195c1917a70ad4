// placeholder (snapshot)
