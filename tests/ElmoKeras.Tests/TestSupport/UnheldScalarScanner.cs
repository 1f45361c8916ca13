using System.Collections.Immutable;
using System.Reflection;
using System.Reflection.Emit;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;

namespace ElmoKeras.Tests.TestSupport;

/// <summary>
/// Finds, in an assembly's IL, the calls that leave a TorchSharp <c>Scalar</c> unheld during a
/// libtorch call: implicit conversions to <c>Scalar</c>, and calls of TorchSharp methods that make
/// one themselves and never dispose it (<c>Tensor + Tensor</c> passes an alpha of 1, <c>fill_(1f)</c>
/// converts). Explicit <c>ToScalar()</c> is allowed: the caller holds and disposes what it made.
/// </summary>
internal sealed class UnheldScalarScanner
{
    private static readonly Dictionary<short, OpCode> OpCodesByValue = typeof(OpCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!)
        .ToDictionary(op => op.Value);

    private readonly HashSet<string> makesUnheldScalar;

    /// <param name="torchSharpPath">TorchSharp.dll, whose methods are classified.</param>
    public UnheldScalarScanner(string torchSharpPath)
    {
        var calls = Calls(torchSharpPath).GroupBy(c => c.Caller).ToDictionary(g => g.Key, g => g.Select(c => c.Callee).ToList());
        makesUnheldScalar = [.. calls.Where(kv => kv.Value.Any(MakesScalar) && !kv.Value.Any(c => c.StartsWith("TorchSharp.Scalar::Dispose", StringComparison.Ordinal))).Select(kv => kv.Key)];
        // A method that calls one of those (operator + calls add(Tensor), which converts 1) is one too.
        for (bool grew = true; grew;)
        {
            grew = false;
            foreach (var (caller, callees) in calls)
                if (!makesUnheldScalar.Contains(caller) && callees.Any(makesUnheldScalar.Contains))
                    grew = makesUnheldScalar.Add(caller);
        }
    }

    /// <summary>How many TorchSharp methods leave a scalar unheld (the scanner found some to look for).</summary>
    public int UnsafeTorchSharpMethods => makesUnheldScalar.Count;

    /// <summary>"caller → callee" for each offending call in <paramref name="assemblyPath"/>.</summary>
    public IReadOnlyList<string> Scan(string assemblyPath, Func<string, bool>? callerFilter = null) =>
        [.. Calls(assemblyPath)
            .Where(c => callerFilter is null || callerFilter(c.Caller))
            .Where(c => c.Callee.StartsWith("TorchSharp.Scalar::op_Implicit", StringComparison.Ordinal) || makesUnheldScalar.Contains(c.Callee))
            .Select(c => $"{c.Caller} → {c.Callee}")
            .Distinct()];

    /// <summary>"caller → callee" for each call in <paramref name="assemblyPath"/> whose callee matches.</summary>
    public static IReadOnlyList<string> FindCalls(string assemblyPath, Func<string, bool> calleeFilter) =>
        [.. Calls(assemblyPath).Where(c => calleeFilter(c.Callee)).Select(c => $"{c.Caller} → {c.Callee}").Distinct()];

    private static bool MakesScalar(string callee) =>
        callee.StartsWith("TorchSharp.Scalar::op_Implicit", StringComparison.Ordinal) || callee.StartsWith("TorchSharp.ScalarExtensionMethods::To", StringComparison.Ordinal);

    private static List<(string Caller, string Callee)> Calls(string path)
    {
        using var pe = new PEReader(File.OpenRead(path));
        MetadataReader md = pe.GetMetadataReader();
        var names = new SignatureNames();
        var result = new List<(string, string)>();
        foreach (MethodDefinitionHandle handle in md.MethodDefinitions)
        {
            MethodDefinition method = md.GetMethodDefinition(handle);
            if (method.RelativeVirtualAddress == 0) continue;
            string caller = Name(md, handle, names);
            BlobReader il = pe.GetMethodBody(method.RelativeVirtualAddress).GetILReader();
            while (il.RemainingBytes > 0)
            {
                short value = il.ReadByte();
                if (value == 0xFE) value = unchecked((short)(0xFE00 | il.ReadByte()));
                OpCode op = OpCodesByValue[value];
                switch (op.OperandType)
                {
                    case OperandType.InlineMethod:
                        result.Add((caller, Name(md, MetadataTokens.EntityHandle(il.ReadInt32()), names)));
                        break;
                    case OperandType.InlineSwitch:
                        int targets = il.ReadInt32();
                        il.Offset += 4 * targets;
                        break;
                    default:
                        il.Offset += op.OperandType switch
                        {
                            OperandType.InlineNone => 0,
                            OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar => 1,
                            OperandType.InlineVar => 2,
                            OperandType.InlineI8 or OperandType.InlineR => 8,
                            _ => 4,
                        };
                        break;
                }
            }
        }
        return result;
    }

    private static string Name(MetadataReader md, EntityHandle handle, SignatureNames names)
    {
        switch (handle.Kind)
        {
            case HandleKind.MethodDefinition:
                MethodDefinition definition = md.GetMethodDefinition((MethodDefinitionHandle)handle);
                string type = names.GetTypeFromDefinition(md, definition.GetDeclaringType(), 0);
                return $"{type}::{md.GetString(definition.Name)}({string.Join(",", definition.DecodeSignature(names, null).ParameterTypes)})";
            case HandleKind.MemberReference:
                MemberReference reference = md.GetMemberReference((MemberReferenceHandle)handle);
                string parent = reference.Parent.Kind switch
                {
                    HandleKind.TypeReference => names.GetTypeFromReference(md, (TypeReferenceHandle)reference.Parent, 0),
                    HandleKind.TypeDefinition => names.GetTypeFromDefinition(md, (TypeDefinitionHandle)reference.Parent, 0),
                    HandleKind.TypeSpecification => md.GetTypeSpecification((TypeSpecificationHandle)reference.Parent).DecodeSignature(names, null),
                    _ => "?",
                };
                if (reference.GetKind() != MemberReferenceKind.Method) return $"{parent}::{md.GetString(reference.Name)}";
                return $"{parent}::{md.GetString(reference.Name)}({string.Join(",", reference.DecodeMethodSignature(names, null).ParameterTypes)})";
            case HandleKind.MethodSpecification:
                return Name(md, md.GetMethodSpecification((MethodSpecificationHandle)handle).Method, names);
            default:
                return "?";
        }
    }

    /// <summary>Type names as "Namespace.Outer+Inner", the same from a definition and a reference.</summary>
    private sealed class SignatureNames : ISignatureTypeProvider<string, object?>
    {
        public string GetArrayType(string elementType, ArrayShape shape) => elementType + "[,]";
        public string GetByReferenceType(string elementType) => elementType + "&";
        public string GetFunctionPointerType(MethodSignature<string> signature) => "fnptr";
        public string GetGenericInstantiation(string genericType, ImmutableArray<string> typeArguments) => $"{genericType}<{string.Join(",", typeArguments)}>";
        public string GetGenericMethodParameter(object? genericContext, int index) => "!!" + index;
        public string GetGenericTypeParameter(object? genericContext, int index) => "!" + index;
        public string GetModifiedType(string modifier, string unmodifiedType, bool isRequired) => unmodifiedType;
        public string GetPinnedType(string elementType) => elementType;
        public string GetPointerType(string elementType) => elementType + "*";
        public string GetPrimitiveType(PrimitiveTypeCode typeCode) => typeCode.ToString();
        public string GetSZArrayType(string elementType) => elementType + "[]";

        public string GetTypeFromDefinition(MetadataReader reader, TypeDefinitionHandle handle, byte rawTypeKind)
        {
            TypeDefinition type = reader.GetTypeDefinition(handle);
            TypeDefinitionHandle outer = type.GetDeclaringType();
            return (outer.IsNil ? reader.GetString(type.Namespace) + "." : GetTypeFromDefinition(reader, outer, rawTypeKind) + "+") + reader.GetString(type.Name);
        }

        public string GetTypeFromReference(MetadataReader reader, TypeReferenceHandle handle, byte rawTypeKind)
        {
            TypeReference type = reader.GetTypeReference(handle);
            return (type.ResolutionScope.Kind == HandleKind.TypeReference
                ? GetTypeFromReference(reader, (TypeReferenceHandle)type.ResolutionScope, rawTypeKind) + "+"
                : reader.GetString(type.Namespace) + ".") + reader.GetString(type.Name);
        }

        public string GetTypeFromSpecification(MetadataReader reader, object? genericContext, TypeSpecificationHandle handle, byte rawTypeKind) =>
            reader.GetTypeSpecification(handle).DecodeSignature(this, genericContext);
    }
}
