using System.Diagnostics;
using System.Threading.Tasks;

namespace GradientGuard.Package.Tests;

/// <summary>Runs the dotnet CLI (or another program) and returns its exit code with everything it printed.</summary>
internal static class DotnetCli
{
    public static (int ExitCode, string Output) Run(string workingDirectory, params string[] arguments) =>
        RunProgram("dotnet", workingDirectory, arguments);

    public static (int ExitCode, string Output) RunProgram(string program, string workingDirectory, params string[] arguments)
    {
        using var process = Process.Start(Start(program, workingDirectory, arguments))!;
        // Read both streams at once: a full stderr pipe must not block a process we wait on for stdout.
        var error = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, output + error.GetAwaiter().GetResult());
    }

    /// <summary>How to start <paramref name="program"/> with both output streams redirected.</summary>
    public static ProcessStartInfo Start(string program, string workingDirectory, params string[] arguments)
    {
        var start = new ProcessStartInfo(program)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (string argument in arguments)
            start.ArgumentList.Add(argument);
        return start;
    }
}
