using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Gumshoe.Engine.Inputs;

/// <summary>A file's device and inode numbers and size: what stays the same when a file is renamed.</summary>
public readonly record struct FileIdentity(ulong Device, ulong Inode, long Size, bool IsRegular)
{
    // struct stat on 64-bit Linux (x86_64 and the generic layout of arm64) starts with st_dev then st_ino, both
    // 64-bit. st_size is at 48 on x86_64 and 48 on arm64; st_mode at 24 (x86_64) or 16 (arm64).
    [DllImport("libc", EntryPoint = "stat", SetLastError = true)]
    private static extern unsafe int StatNative(string path, byte* buf);

    [DllImport("libc", EntryPoint = "fstat", SetLastError = true)]
    private static extern unsafe int FStatNative(SafeFileHandle fd, byte* buf);

    /// <summary>Identity of the file a path names (following symlinks), or null when it does not exist.</summary>
    public static unsafe FileIdentity? OfPath(string path)
    {
        var buf = stackalloc byte[256];
        return StatNative(path, buf) == 0 ? Decode(buf) : null;
    }

    /// <summary>Identity of an open file.</summary>
    public static unsafe FileIdentity? OfHandle(SafeFileHandle handle)
    {
        var buf = stackalloc byte[256];
        return FStatNative(handle, buf) == 0 ? Decode(buf) : null;
    }

    private static unsafe FileIdentity Decode(byte* buf)
    {
        var dev = *(ulong*)buf;
        var ino = *(ulong*)(buf + 8);
        uint mode = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? *(uint*)(buf + 24) : *(uint*)(buf + 16);
        var size = *(long*)(buf + 48);
        return new FileIdentity(dev, ino, size, (mode & 0xF000) == 0x8000);
    }

    public bool SameFile(FileIdentity other) => Device == other.Device && Inode == other.Inode;
}
