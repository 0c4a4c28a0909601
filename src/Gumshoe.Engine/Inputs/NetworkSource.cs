namespace Gumshoe.Engine.Inputs;

/// <summary>
/// A connection, datagram peer or HTTP request a network input reads from. It has no file path; <see cref="Peer"/>
/// is the remote address the pipeline may copy into <c>log.source.address</c>. Offsets count the bytes received
/// from the peer on this source.
/// </summary>
public sealed class NetworkSource(string input, string peer, string transport) : SourceCursor(input, null)
{
    /// <summary>The remote end point, <c>127.0.0.1:50514</c> or <c>[::1]:50514</c>.</summary>
    public string Peer { get; } = peer;

    /// <summary>How the data came: <c>udp</c>, <c>tcp</c>, <c>tls</c> or <c>http</c>.</summary>
    public string Transport { get; } = transport;

    // Bytes received so far; only the input's reader for this source touches it.
    internal long Received;
}
