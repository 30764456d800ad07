// The flags several commands share, as their help lists them; each command's own help is in
// its file, and main.ts builds the usage from the command table.

export const MODE_FLAGS = `Mode flags (override S3_ENDPOINT_MODE, S3_REGION, … from the environment):
  --mode regional|interface|accelerate|custom|local   --region R   --fips   --dualstack
  --path-style   --endpoint URL (custom)   --vpce-dns NAME (interface)   --allow-http`;

export const SERVICE_FLAGS = `Through a running service instead of AWS credentials:
  --service URL        the service's base URL (e.g. http://127.0.0.1:8080)
  --token-file FILE    a file holding the API key or JWT; else S3_PRESIGN_TOKEN (never a flag value,
                       which would stay in the shell's history)`;
