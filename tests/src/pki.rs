//! A certificate authority made for one test, as a public body's internal PKI would be: a CA
//! that no public trust store knows, and a server certificate it issued for `127.0.0.1` and
//! `localhost`. The openssl command line makes the material; Herold links no OpenSSL.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

pub struct TestPki {
    /// The CA's certificate (PEM), what an operator would configure.
    pub ca_file: PathBuf,
    pub cert_file: PathBuf,
    pub key_file: PathBuf,
}

fn openssl(args: &[&str], dir: &Path) {
    let status = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("the openssl command line (apt-get install openssl)");
    assert!(status.success(), "openssl {args:?}");
}

impl TestPki {
    pub fn create(dir: &Path) -> TestPki {
        std::fs::create_dir_all(dir).unwrap();
        let ec = "-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes";
        let run = |line: String| openssl(&line.split(' ').collect::<Vec<_>>(), dir);
        run(format!(
            "req -x509 {ec} -days 2 -subj /CN=Herold-Test-Internal-CA \
             -addext basicConstraints=critical,CA:TRUE -keyout ca.key -out ca.pem"
        ));
        run(format!("req {ec} -subj /CN=localhost -keyout server.key -out server.csr"));
        std::fs::write(
            dir.join("server.ext"),
            "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=critical,CA:FALSE\nextendedKeyUsage=serverAuth\n",
        )
        .unwrap();
        run("x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
             -extfile server.ext -out server.pem"
            .to_owned());
        TestPki {
            ca_file: dir.join("ca.pem"),
            cert_file: dir.join("server.pem"),
            key_file: dir.join("server.key"),
        }
    }

    /// A rustls server configuration with the server certificate.
    pub fn server_config(&self) -> rustls::ServerConfig {
        use rustls::pki_types::pem::PemObject;
        use rustls::pki_types::{CertificateDer, PrivateKeyDer};
        let chain =
            CertificateDer::pem_file_iter(&self.cert_file).unwrap().collect::<Result<Vec<_>, _>>().unwrap();
        let key = PrivateKeyDer::from_pem_file(&self.key_file).unwrap();
        rustls::ServerConfig::builder_with_provider(rustls::crypto::ring::default_provider().into())
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .unwrap()
    }
}
