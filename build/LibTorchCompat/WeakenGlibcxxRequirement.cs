// Compiled by MSBuild's RoslynCodeTaskFactory (see ../GradientGuard.LibTorchCompat.targets).
// Marks the GLIBCXX_3.4.32 version-needed entry of libLibTorchSharp.so weak when the system
// libstdc++ is too old, after checking that the entry only covers GCC 13's <iostream> marker.
using System;
using System.Collections.Generic;
using System.IO;
using System.Text;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

public sealed class GradientGuardWeakenGlibcxxRequirement : Task
{
    const string Version = "GLIBCXX_3.4.32";
    const string MarkerSymbol = "_ZSt21ios_base_library_initv";
    const ushort VerFlagWeak = 0x2;
    const uint ShtDynsym = 11, ShtGnuVerneed = 0x6ffffffe, ShtGnuVersym = 0x6fffffff;

    static readonly string[] LibStdCxxCandidates =
    {
        "/lib/x86_64-linux-gnu/libstdc++.so.6", "/usr/lib/x86_64-linux-gnu/libstdc++.so.6",
        "/lib/aarch64-linux-gnu/libstdc++.so.6", "/usr/lib/aarch64-linux-gnu/libstdc++.so.6",
        "/usr/lib64/libstdc++.so.6", "/lib64/libstdc++.so.6", "/usr/lib/libstdc++.so.6", "/lib/libstdc++.so.6",
    };

    [Required] public ITaskItem[] Libraries { get; set; }
    [Required] public string Mode { get; set; }

    public override bool Execute()
    {
        if (Mode != "true")
        {
            string libStdCxx = FindSystemLibStdCxx();
            if (libStdCxx == null)
            {
                Log.LogMessage(MessageImportance.Low, "GradientGuard: no system libstdc++.so.6 found; libLibTorchSharp.so left as it is.");
                return true;
            }
            if (FileContains(libStdCxx, Encoding.ASCII.GetBytes(Version + "\0")))
            {
                Log.LogMessage(MessageImportance.Low, "GradientGuard: " + libStdCxx + " provides " + Version + "; libLibTorchSharp.so left as it is.");
                return true;
            }
        }

        foreach (ITaskItem item in Libraries)
        {
            string path = item.GetMetadata("FullPath");
            try
            {
                Patch(path);
            }
            catch (Exception e) when (e is IOException || e is InvalidDataException || e is UnauthorizedAccessException || e is IndexOutOfRangeException || e is ArgumentException)
            {
                // A malformed or unexpected file is left as it is: the build goes on, the warning says why.
                Log.LogWarning("GradientGuard: could not patch " + path + ": " + e.Message);
            }
        }
        return !Log.HasLoggedErrors;
    }

    void Patch(string path)
    {
        byte[] elf = File.ReadAllBytes(path);
        int flagsOffset = FindVernauxFlagsOffset(elf, out List<string> symbols);
        if (flagsOffset < 0)
        {
            Log.LogMessage(MessageImportance.Low, "GradientGuard: " + path + " does not need " + Version + ".");
            return;
        }
        if ((U16(elf, flagsOffset) & VerFlagWeak) != 0)
        {
            Log.LogMessage(MessageImportance.Low, "GradientGuard: " + path + " already patched.");
            return;
        }
        if (symbols.Count != 1 || symbols[0] != MarkerSymbol)
        {
            Log.LogWarning("GradientGuard: " + path + " needs " + Version + " for " + string.Join(", ", symbols) +
                           "; not patching (only the " + MarkerSymbol + " marker is known to be safe).");
            return;
        }

        ushort flags = (ushort)(U16(elf, flagsOffset) | VerFlagWeak);
        elf[flagsOffset] = (byte)flags;
        elf[flagsOffset + 1] = (byte)(flags >> 8);

        // Write a new file and swap it in, so a hard link into the NuGet cache is never written through.
        // Keep the timestamp, so the incremental copy still sees the output as up to date.
        DateTime stamp = File.GetLastWriteTimeUtc(path);
        string temp = path + ".gradientguard.tmp";
        File.WriteAllBytes(temp, elf);
        File.Delete(path);
        File.Move(temp, path);
        File.SetLastWriteTimeUtc(path, stamp);
        Log.LogMessage(MessageImportance.High,
            "GradientGuard: marked " + Version + " weak in " + path + " (system libstdc++ is older; the only symbol under it is GCC 13's " +
            MarkerSymbol + " marker). Set GradientGuardPatchLibTorchSharp=false to turn this off.");
    }

    // Returns the file offset of vna_flags of the GLIBCXX_3.4.32 Vernaux entry, or -1; lists the dynamic symbols bound to it.
    static int FindVernauxFlagsOffset(byte[] elf, out List<string> symbols)
    {
        symbols = new List<string>();
        if (elf.Length < 64 || elf[0] != 0x7f || elf[1] != (byte)'E' || elf[2] != (byte)'L' || elf[3] != (byte)'F')
            throw new InvalidDataException("not an ELF file");
        if (elf[4] != 2 || elf[5] != 1)
            throw new InvalidDataException("not a little-endian 64-bit ELF file");

        long shoff = (long)U64(elf, 0x28);
        int shentsize = U16(elf, 0x3A), shnum = U16(elf, 0x3C);
        int verneed = -1, versym = -1, dynsym = -1;
        for (int i = 0; i < shnum; i++)
        {
            uint type = U32(elf, (int)(shoff + i * shentsize) + 4);
            if (type == ShtGnuVerneed) verneed = i;
            else if (type == ShtGnuVersym) versym = i;
            else if (type == ShtDynsym) dynsym = i;
        }
        if (verneed < 0) return -1;

        int Header(int index) => (int)(shoff + index * shentsize);
        int SectionOffset(int index) => (int)U64(elf, Header(index) + 0x18);
        int SectionSize(int index) => (int)U64(elf, Header(index) + 0x20);
        int SectionLink(int index) => (int)U32(elf, Header(index) + 0x28);
        int SectionInfo(int index) => (int)U32(elf, Header(index) + 0x2C);

        int verneedStrings = SectionOffset(SectionLink(verneed));
        int flagsOffset = -1;
        ushort versionIndex = 0;
        int entry = SectionOffset(verneed);
        for (int n = 0; n < SectionInfo(verneed); n++)
        {
            int aux = entry + (int)U32(elf, entry + 8);
            for (int a = 0; a < U16(elf, entry + 2); a++)
            {
                if (CString(elf, verneedStrings + (int)U32(elf, aux + 8)) == Version)
                {
                    flagsOffset = aux + 4;
                    versionIndex = U16(elf, aux + 6);
                }
                aux += (int)U32(elf, aux + 12);
            }
            entry += (int)U32(elf, entry + 12);
        }
        if (flagsOffset < 0 || versym < 0 || dynsym < 0) return flagsOffset;

        int symbolStrings = SectionOffset(SectionLink(dynsym));
        int symbolCount = SectionSize(dynsym) / 24;
        for (int s = 0; s < symbolCount; s++)
        {
            if ((U16(elf, SectionOffset(versym) + 2 * s) & 0x7fff) == versionIndex)
                symbols.Add(CString(elf, symbolStrings + (int)U32(elf, SectionOffset(dynsym) + 24 * s)));
        }
        return flagsOffset;
    }

    static string FindSystemLibStdCxx()
    {
        foreach (string candidate in LibStdCxxCandidates)
            if (File.Exists(candidate)) return candidate;
        return null;
    }

    static bool FileContains(string path, byte[] needle)
    {
        byte[] data = File.ReadAllBytes(path);
        for (int i = 0; i + needle.Length <= data.Length; i++)
        {
            int j = 0;
            while (j < needle.Length && data[i + j] == needle[j]) j++;
            if (j == needle.Length) return true;
        }
        return false;
    }

    static ushort U16(byte[] b, int o) => (ushort)(b[o] | b[o + 1] << 8);
    static uint U32(byte[] b, int o) => (uint)(b[o] | b[o + 1] << 8 | b[o + 2] << 16 | b[o + 3] << 24);
    static ulong U64(byte[] b, int o) => U32(b, o) | (ulong)U32(b, o + 4) << 32;

    static string CString(byte[] b, int o)
    {
        int end = o;
        while (end < b.Length && b[end] != 0) end++;
        return Encoding.ASCII.GetString(b, o, end - o);
    }
}
