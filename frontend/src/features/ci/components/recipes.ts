/**
 * Copyable pipeline recipes for the CI Setup tab: the same steps as docs/ci/*.md, with the
 * project's Shipyard URL and its `shipyard ci report` command filled in.
 */

export type CiSystem = 'github' | 'gitlab' | 'circleci' | 'jenkins' | 'buildkite';

export interface Recipe {
  system: CiSystem;
  label: string;
  /** Where the file lives in the repository. */
  file: string;
  /** Where the secret is stored, in the CI's own words. */
  secretHint: string;
  code: string;
}

/** The one command every recipe runs after the tests. */
export function reportCommand(slug: string): string {
  return `shipyard ci report --project ${slug} --junit results.xml --metrics metrics.json --lockfile requirements.txt`;
}

const INSTALL = 'pip install -r requirements.txt shipyard';
const TESTS = 'pytest -p shipyard.client.pytest_plugin --junitxml=results.xml';
const EVALUATE = 'python scripts/evaluate.py --out metrics.json';

export function recipes({ slug, origin }: { slug: string; origin: string }): Recipe[] {
  const report = reportCommand(slug);
  return [
    {
      system: 'github',
      label: 'GitHub Actions',
      file: '.github/workflows/tests.yml',
      secretHint: 'Store the secret as the repository secret SHIPYARD_CI_SECRET (Settings → Secrets and variables → Actions).',
      code: `name: tests
on: [push, pull_request]
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: "3.11"
      - run: ${INSTALL}
      - run: ${TESTS}
      - run: ${EVALUATE}
      - name: Report to Shipyard
        if: always()
        env:
          SHIPYARD_URL: ${origin}
          SHIPYARD_CI_SECRET: \${{ secrets.SHIPYARD_CI_SECRET }}
        run: ${report}
`,
    },
    {
      system: 'gitlab',
      label: 'GitLab CI',
      file: '.gitlab-ci.yml',
      secretHint: 'Add SHIPYARD_CI_SECRET as a masked variable under Settings → CI/CD → Variables.',
      code: `test:
  image: python:3.11
  variables:
    SHIPYARD_URL: ${origin}
  script:
    - ${INSTALL}
    - ${TESTS}
    - ${EVALUATE}
  after_script:
    - ${report}
  artifacts:
    when: always
    reports:
      junit: results.xml
`,
    },
    {
      system: 'circleci',
      label: 'CircleCI',
      file: '.circleci/config.yml',
      secretHint: 'Add SHIPYARD_CI_SECRET to a context named shipyard (Organization Settings → Contexts).',
      code: `version: 2.1
jobs:
  test:
    docker:
      - image: cimg/python:3.11
    environment:
      SHIPYARD_URL: ${origin}
    steps:
      - checkout
      - run: ${INSTALL}
      - run: ${TESTS}
      - run: ${EVALUATE}
      - run:
          name: Report to Shipyard
          when: always
          command: ${report}
      - store_test_results:
          path: results.xml
workflows:
  main:
    jobs:
      - test:
          context: shipyard
`,
    },
    {
      system: 'jenkins',
      label: 'Jenkins',
      file: 'Jenkinsfile',
      secretHint: 'Store the secret as a Secret text credential named shipyard-ci-secret.',
      code: `pipeline {
  agent { docker { image 'python:3.11' } }
  environment {
    SHIPYARD_URL = '${origin}'
    SHIPYARD_CI_SECRET = credentials('shipyard-ci-secret')
  }
  stages {
    stage('Test') {
      steps {
        sh '${INSTALL}'
        sh '${TESTS}'
        sh '${EVALUATE}'
      }
    }
  }
  post {
    always {
      junit 'results.xml'
      sh '${report}'
    }
  }
}
`,
    },
    {
      system: 'buildkite',
      label: 'Buildkite',
      file: '.buildkite/pipeline.yml',
      secretHint: "Expose SHIPYARD_CI_SECRET to the step through the agent's environment hook or a secrets plugin.",
      code: `steps:
  - label: ":pytest: tests"
    command:
      - ${INSTALL}
      - ${TESTS}
      - ${EVALUATE}
      - ${report}
    artifact_paths: results.xml
    env:
      SHIPYARD_URL: ${origin}
`,
    },
  ];
}

/** Signing by hand, for a pipeline without the CLI: the v2 scheme the receiver checks. */
export function curlRecipe({ slug, origin }: { slug: string; origin: string }): string {
  return `t=$(date +%s); id=$(uuidgen)
sig=$( { printf '%s.%s.' "$t" "$id"; cat body.json; } | openssl dgst -sha256 -hmac "$SHIPYARD_CI_SECRET" -r | cut -d' ' -f1)
curl -fsS "${origin}/api/v1/projects/${slug}/ci/webhook/" -H 'Content-Type: application/json' \\
  -H "X-Shipyard-Delivery: $id" -H "X-Shipyard-Signature: t=$t,v2=$sig" --data-binary @body.json
`;
}
