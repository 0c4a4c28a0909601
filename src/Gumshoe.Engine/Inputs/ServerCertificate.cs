using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Gumshoe.Engine.Config;

namespace Gumshoe.Engine.Inputs;

/// <summary>
/// Loads the certificate a TLS listener presents: a PKCS#12 file (<c>.pfx</c>/<c>.p12</c>) or a PEM certificate
/// with its key in <c>key</c> or in the same file, either optionally protected by <c>password</c>.
/// </summary>
public static class ServerCertificate
{
    /// <summary>Loads a certificate with its private key; throws <see cref="CryptographicException"/> or <see cref="IOException"/>.</summary>
    public static X509Certificate2 Load(string certificatePath, string? keyPath = null, string? password = null)
    {
        var ext = Path.GetExtension(certificatePath);
        X509Certificate2 cert;
        if (ext.Equals(".pfx", StringComparison.OrdinalIgnoreCase) || ext.Equals(".p12", StringComparison.OrdinalIgnoreCase))
        {
            cert = X509CertificateLoader.LoadPkcs12FromFile(certificatePath, password, X509KeyStorageFlags.EphemeralKeySet);
        }
        else
        {
            using var pem = string.IsNullOrEmpty(password)
                ? X509Certificate2.CreateFromPemFile(certificatePath, keyPath)
                : X509Certificate2.CreateFromEncryptedPemFile(certificatePath, password, keyPath);
            // A PEM key is ephemeral; a PKCS#12 round trip gives a key SslStream can use on every platform.
            cert = X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null, X509KeyStorageFlags.EphemeralKeySet);
        }
        if (!cert.HasPrivateKey)
        {
            cert.Dispose();
            throw new CryptographicException($"'{certificatePath}' holds no private key");
        }
        return cert;
    }

    /// <summary>Reads a <c>tls: {certificate, key, password}</c> node.</summary>
    public static X509Certificate2 FromConfig(ConfigNode tls)
    {
        var certNode = tls.Required("certificate");
        var certificate = certNode.AsPath();
        var key = tls.Get("key") is { IsNull: false } k ? k.AsPath() : null;
        var password = tls.String("password");
        tls.EnsureNoUnknownKeys("tls");
        try { return Load(certificate, key, password); }
        catch (Exception ex) when (ex is CryptographicException or IOException or UnauthorizedAccessException or ArgumentException)
        {
            throw certNode.Error($"cannot load the TLS certificate '{certificate}': {ex.Message}");
        }
    }
}
