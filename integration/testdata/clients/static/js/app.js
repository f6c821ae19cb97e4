document.documentElement.dataset.s3kit = "clients";
